"""`python -m rag ...`: the `rag` command."""

from rag.cli import main

main()
