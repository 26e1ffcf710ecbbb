"""`python -m saae_augment` runs the same CLI as the `saae-augment` console script."""

from saae_augment.cli.app import main

main()
