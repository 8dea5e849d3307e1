#include "engine/parallel.h"

#include <omp.h>

namespace bnn {

int current_thread() { return omp_get_thread_num(); }
int team_size() { return omp_get_num_threads(); }

}  // namespace bnn
