"""`vwr verify-deploy`: a deployment proves itself end to end, in about a minute, before the sale.

`deployment` reads what is verified (CloudFormation stacks, or the READY line of `vwr local`),
`context` is what a check gets and gives back, `checks` holds one function per check (`edge` the
edge gate's), `run` runs them and cleans up after itself, `report` prints the table or the JSON,
and `cli` is the command line.
"""
