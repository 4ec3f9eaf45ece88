"""What the QAT page concludes from its two tables over three seeds, as claims checked every run.

The accuracies come from seeded training, but float rounding differs between CPUs (oneDNN's
and XNNPACK's kernels for AVX2 and AVX-512), so a test image or two may change side. The
conclusions must not depend on that: each has a margin larger than a few images.
On the page these run after the helper in snippets/common/claims.py; tests/test_claims.py
feeds them tables where each conclusion is false.
"""

from snippets.common.claims import claim  # on the page: included just before

# --8<-- [start:claims]
def seed_claims(rows):
    """rows: one dict per seed, test accuracy of each model (results above)."""
    floats = [row["float"] for row in rows]
    ptq_loss = [round(row["float"] - row["PTQ"], 3) for row in rows]
    qat_loss = [round(row["float"] - row["QAT"], 3) for row in rows]
    spread = round(max(floats) - min(floats), 3)
    claim("PTQ loses more than 3 times the float models' spread between seeds, on every seed",
          min(ptq_loss) > 3 * spread, {"PTQ loss": ptq_loss, "float spread": spread})
    claim("QAT's mean loss is under half of PTQ's",
          sum(qat_loss) < 0.5 * sum(ptq_loss), {"QAT loss": qat_loss, "PTQ loss": ptq_loss})
    claim("some loss remains after QAT: its mean stays below float's",
          sum(qat_loss) > 0, qat_loss)
    # The control has the same 3 extra epochs, in float: what is left is the rounding in the loop.
    gap = [round(row["QAT"] - row["float +3 ep, PTQ"], 3) for row in rows]
    claim("QAT beats the float +3 epochs control by more than 0.01 on every seed", min(gap) > 0.01, gap)
    claim("seed 0 loses the most under PTQ and under QAT",
          ptq_loss[0] == max(ptq_loss) and qat_loss[0] == max(qat_loss),
          {"PTQ loss": ptq_loss, "QAT loss": qat_loss})


def fix_claims(rows):
    """The cheaper fixes: per-tensor scales, more calibration data, 16-bit activations."""
    def mean(name):
        return round(sum(row[name] for row in rows) / len(rows), 3)

    means = {name: mean(name) for name in ("PTQ", "PTQ per-tensor", "PTQ all train", "PTQ 16x8", "QAT")}
    claim("per-tensor scales lose more than 0.1 more than per-channel ones",
          means["PTQ per-tensor"] < means["PTQ"] - 0.1, means)
    claim("calibrating on all training images moves the mean by less than 0.02",
          abs(means["PTQ all train"] - means["PTQ"]) < 0.02, means)
    claim("16x8 moves the mean by less than 0.02",
          abs(means["PTQ 16x8"] - means["PTQ"]) < 0.02, means)
    claim("QAT's mean beats every cheaper fix's",
          all(means["QAT"] > means[name] for name in means if name != "QAT"), means)
# --8<-- [end:claims]
