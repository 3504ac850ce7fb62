"""The local runtime: the whole waiting room on one machine, with no AWS account."""
