import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Sub-commands of this app are added with its capability."""
