# A node no installed sink serves: runtime-env leaves it alone.
