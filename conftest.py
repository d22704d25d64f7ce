"""Test-wide set-up: quiet TensorFlow before anything imports it (see GUIDE §5)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
