"""The site module of the bootstrap Python 3.6: intentionally empty.

The interpreter imports site at startup and stops if it is missing.  CPython's
site.py adds site-packages directories and help(), exit() and quit(); the
compile check needs neither.
"""
