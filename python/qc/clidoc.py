"""Prints docs/cli.md from the argparse help texts (the single source)."""
import argparse
import os

from .cli import _parser


def main():
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal width
    p = _parser()
    out = ["# qc command-line reference", "",
           "Generated from the `--help` texts by `scripts/gen-docs.sh`; do not edit.", ""]
    out += ["## qc", "", "```", p.format_help().rstrip(), "```", ""]
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    for name, sp in sub.choices.items():
        out += [f"## qc {name}", "", "```", sp.format_help().rstrip(), "```", ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
