"""A page's conclusions from a measured table, as named checks that must hold on any machine.

A measured table (latency, CPU time) changes with the CPU, so the gate never compares it
with a number on the page. What the page *concludes* from it is a claim: a pure function of
the table that prints `claim holds: <name>` or raises with the evidence. A page includes this
section, then its own claims (snippets/<page>/claims.py), and lists the claim lines as the
block's expected output; tests/test_claims.py feeds each claim a false table and sees it fail.
"""

# --8<-- [start:claim]
class ClaimFailed(AssertionError):
    """A conclusion the page draws does not hold for this run's measurements."""


def claim(name, holds, evidence):
    """Print "claim holds: <name>", or raise ClaimFailed with the numbers behind it."""
    if not holds:
        raise ClaimFailed(f"claim does not hold: {name}\n  evidence: {evidence}")
    print(f"claim holds: {name}")
# --8<-- [end:claim]
