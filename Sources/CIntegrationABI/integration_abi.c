/*
 * The ABI is the header alone (include/integration_abi.h): types, constants and the descriptor symbol's
 * prototype. SwiftPM needs one source file to build a C target, so this file exists and defines nothing.
 */
#include "integration_abi.h"
