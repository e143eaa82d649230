"""Fixtures shared by the reassembly tests."""
import pytest

from .tiny_models import make_images


@pytest.fixture(scope='module')
def images():
    return make_images()
