// RUN: qc-opt %s -verify-diagnostics --qc-claim-shares="chunks=0"

// expected-error @below {{qc-claim-shares: chunks must be at least 1}}
module {}
