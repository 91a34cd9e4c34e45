"""Review: the routing policy, the queue of fields waiting for a person, and (later) the web desk."""
