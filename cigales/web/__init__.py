"""The club's web space: a server-rendered Starlette application over the same services and
report data as the command line (``cigales serve``). Nothing imports this package."""
