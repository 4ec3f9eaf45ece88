"""Two logical CPU devices, so data and model parallelism run on a laptop or a CI runner.

Must run before TensorFlow touches a device (it fails once the runtime is initialised),
which is why it is the first block of the page."""

# --8<-- [start:two-cpus]
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)
print([d.name for d in tf.config.list_logical_devices("CPU")])
# --8<-- [end:two-cpus]
