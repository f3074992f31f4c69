package main

// injectFaults arms the fault injection of a binary built with -tags
// faultinject (fault_faultinject.go) on a built program. In the default
// build it does nothing: no environment variable can make syncd fail on
// purpose.
var injectFaults = func(*Program) {}
