"""Everything that runs in AWS Lambda: thin handlers over the `waiting_room` domain library."""
