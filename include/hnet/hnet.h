#pragma once
/// \file
/// Umbrella header: everything a user of hnet needs.

#include "hnet/spec.h"
#include "hnet/weights.h"

#include "hnet/targets/activation.h"
#include "hnet/targets/conv_net.h"
#include "hnet/targets/functional.h"
#include "hnet/targets/mlp.h"
#include "hnet/targets/module_adapter.h"
#include "hnet/targets/norm.h"
#include "hnet/targets/res_net.h"
#include "hnet/targets/siren.h"
#include "hnet/targets/target.h"

#include "hnet/conditions/gaussian_noise.h"
#include "hnet/conditions/mip_encoding.h"
#include "hnet/conditions/task_embedding.h"

#include "hnet/parametrizations/output_parametrization.h"

#include "hnet/generators/chunked_generator.h"
#include "hnet/generators/full_generator.h"
#include "hnet/generators/generator.h"
#include "hnet/generators/layerwise_generator.h"
#include "hnet/generators/trunk.h"

#include "hnet/data/fashion_mnist.h"
#include "hnet/data/idx.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/safetensors.h"

#include "hnet/learn/classifier_training.h"
