from factloom.graphs.cli import main

main()
