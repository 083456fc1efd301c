from bonus_reference.verify import cli

cli()
