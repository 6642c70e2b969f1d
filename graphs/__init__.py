"""The wiring: the extract and query graphs (LangGraph state and topology), and the command line, HTTP
server and distributed runner that run them; the only layer that reads configuration."""
