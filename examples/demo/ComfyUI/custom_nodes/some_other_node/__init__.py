# A node no installed sink serves: comfy-secrets leaves it alone.
