"""Training and evaluation: scenes, crop sampling, losses, the training loop, metrics and the consistency checks."""
