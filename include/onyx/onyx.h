#pragma once
// The onyx public API: include this one header.
#include "onyx/data_type.h"
#include "onyx/error.h"
#include "onyx/session.h"
#include "onyx/tensor.h"
#include "onyx/value.h"
