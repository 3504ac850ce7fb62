"""The CDK app's stacks. Each stack reads the wiring table (`lambdas.catalog`) and nothing else of
the project, so synthesizing never imports handler code or its dependencies."""
