"""The nbcnn command line (installed as the package nbcnn_cli)."""
