"""The digits data every small-model page trains on: 8x8 handwritten digits that ship
inside scikit-learn, so nothing is downloaded. Pixels are raw uint8 (0..16 scaled to 0..255);
models do their own rescaling, as a deployed model receives raw pixels."""

# --8<-- [start:load]
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

digits = load_digits()
pixels = (digits.images * (255 / 16)).round().astype(np.uint8)[..., np.newaxis]  # (1797, 8, 8, 1)
x_train, x_test, y_train, y_test = train_test_split(
    pixels, digits.target, test_size=0.25, random_state=0, stratify=digits.target
)
# --8<-- [end:load]
