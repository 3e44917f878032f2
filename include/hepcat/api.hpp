#pragma once
// HEPCAT_API marks the public API: libhepcat is built with hidden visibility and exports only
// these.
#define HEPCAT_API __attribute__((visibility("default")))
