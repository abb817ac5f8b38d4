"""``ssj`` sub-commands of this module."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    return None
