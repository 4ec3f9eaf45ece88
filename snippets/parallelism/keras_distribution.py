"""keras.distribution (DataParallel, ModelParallel) on the TensorFlow backend of Keras 3.15:
the classes exist, but only the JAX backend implements them. Runs after devices.py."""

# --8<-- [start:tf-backend]
print("backend:", keras.backend.backend(), "| keras", keras.__version__)
print("list_devices:", keras.distribution.list_devices())
try:
    keras.distribution.get_device_count()
except AttributeError as error:
    print("get_device_count: AttributeError:", str(error).split(" has ")[1])

keras.distribution.set_distribution(keras.distribution.DataParallel())  # accepted...
with keras.distribution.distribution().scope():
    model = make_model()
# ...and ignored: one variable on one device, where JAX would replicate it on both.
kernel = model.get_layer("hidden").kernel.value
print(type(kernel).__name__, "on", kernel.device.split("/")[-1])
keras.distribution.set_distribution(None)  # leave the global setting as we found it
# --8<-- [end:tf-backend]
