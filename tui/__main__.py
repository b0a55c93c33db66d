"""`relecture` and `python -m tui`: the command line entry point."""

from __future__ import annotations


def main() -> None:
    from tui.cli import build

    build()(prog_name="relecture")


if __name__ == "__main__":
    main()
