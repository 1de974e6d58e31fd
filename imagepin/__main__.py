"""`python -m imagepin` runs the same CLI as the `imagepin` console script."""

from imagepin.cli import main

if __name__ == "__main__":
    main()
