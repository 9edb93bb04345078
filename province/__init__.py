"""The province's tools: never shipped in the Lambda (architecture notes, "Going live")."""
