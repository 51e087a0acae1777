// storage placeholder
