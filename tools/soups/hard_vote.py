"""Hard voting over prediction CSVs (tools/soups/predict.py): one vote per model per sample.

usage: python tools/soups/hard_vote.py A.csv B.csv C.csv --out vote.csv
           [--attributes table.json]
Ties go to the label whose voters' confidences sum higher, then to the earliest CSV on the
command line. With --attributes (a JSON object: class -> list of attribute values, e.g.
mask, gender, age), each attribute is voted on its own and the class is recomposed.
"""
import argparse
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser  # noqa: E402


def read_attribute_table(path: str) -> dict[int, list]:
    """The --attributes JSON object, class index -> that class's attribute values."""
    from mm_cl_addon.utils.files import InputFileError, read_json

    table = read_json(path, '--attributes table', expected=dict)
    try:
        return {int(label): list(values) for label, values in table.items()}
    except (TypeError, ValueError) as err:
        raise InputFileError(path, '--attributes table', 'expected a JSON object of class index '
                             '-> attribute list') from err


def vote(args: argparse.Namespace) -> None:
    from mm_cl_addon.soups import hard_vote, read_predictions, vote_attributes, write_votes

    predictions = [read_predictions(path) for path in args.predictions]
    if args.attributes:
        results = vote_attributes(predictions, args.predictions,
                                  read_attribute_table(args.attributes))
    else:
        results = hard_vote(predictions, args.predictions)
    write_votes(args.out, results)
    print(f'{len(results)} votes of {len(args.predictions)} models -> {args.out}')


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('predictions', nargs='+', help='prediction CSVs (id,pred_label,...)')
    parser.add_argument('--out', required=True)
    parser.add_argument('--attributes', help='JSON table of class -> attribute values')
    args = parser.parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: vote(args))


if __name__ == '__main__':
    main()
