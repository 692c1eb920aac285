"""One block per concern of the planning model, in the manner of oemof-solph and PyPSA.

Each ``define_*`` function adds its variables and constraints to the model, adds its terms to the
shared node balances through :class:`~cislink.planner.blocks.context.Context`, and registers its
cost terms by name so that every term of the objective can be reported. The order is fixed by
:func:`cislink.planner.model.build_model`: launches, transfers (tugs and landers, routing and
fleet), depots and storage, ISRU, demand, Mars, then the balances and the objective that collect
what the others registered.
"""
