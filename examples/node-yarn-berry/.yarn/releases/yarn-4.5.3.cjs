// The Yarn release is checked in here (placeholder in this example).
