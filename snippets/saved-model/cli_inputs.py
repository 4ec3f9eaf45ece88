"""Inputs for `saved_model_cli run`, and what its --input_exprs flag really accepts."""

# --8<-- [start:npy]
np.save("three_digits.npy", x_test[:3])  # uint8, shape (3, 8, 8, 1): what the signature expects
print("true labels:", y_test[:3])
# --8<-- [end:npy]

# --8<-- [start:input-exprs]
from tensorflow.python.tools import saved_model_cli  # the module behind the saved_model_cli command

print(saved_model_cli.preprocess_input_exprs_arg_string("pixels=[[[[0]]]]"))
try:
    saved_model_cli.preprocess_input_exprs_arg_string("pixels=np.zeros((1, 8, 8, 1))")
except RuntimeError as error:
    print("RuntimeError:", error)
# --8<-- [end:input-exprs]
