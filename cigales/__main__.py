"""`python -m cigales`: the same program as the `cigales` console script."""

from cigales.cli.entry import main

if __name__ == "__main__":
    main()
