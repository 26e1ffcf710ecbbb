"""What training, synthesis and evaluation share: checkpoint I/O, device and precision, string
metrics, sample grids. Nothing here imports training/, so what runs after training never has to."""
