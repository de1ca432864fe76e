// Suites registry
