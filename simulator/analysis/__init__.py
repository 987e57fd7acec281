"""What it takes: goal seeking, lever attribution, sensitivity, plausibility and the targets' track record.

Pure functions on top of :mod:`simulator.engine`; the command line (``simulator goal-seek``,
``attribute``, ``sensitivity``) and the app's "What it takes" and "Targets track record" pages
call them and never re-implement them.

================================  ==============================================================
module                            what it answers
================================  ==============================================================
:mod:`~.goals`                    which amount by which deadline (a target id or numbers)
:mod:`~.goal_seek`                the least move of each lever alone, and the least-change
                                  package, on top of a scenario, that reach a goal with a
                                  required probability (:mod:`~.reach`: the probability as a
                                  function of the moves; :mod:`~.moves`: moves on a scenario's
                                  lever paths; :mod:`~.least_change` and :mod:`~.lattice`: the
                                  package, proved least on the grids or with a lower bound)
:mod:`~.attribution`              how much of the gap to each goal each lever closes
:mod:`~.sensitivity`              which uncertain assumptions matter most for the odds (tornado;
                                  Sobol indices with SALib)
:mod:`~.plausibility`             warnings when growth is outside anything observed
                                  (``reference_growth.csv``: sourced comparable-country episodes)
:mod:`~.track_record`             past dated targets against the outcome; open targets against pace
================================  ==============================================================
"""
