/* spec — the configuration translated into the narrow structs of the computation. */
#include "base/cfg.h"
#include "core/act.h"
#include "core/diffusion.h"
#include "core/loss.h"
#include "core/mcm.h"
#include "core/model.h"
#include "core/optim.h"

/* The enum strings above are stored as these C enums; keep their order and length in step. */
_Static_assert(MCM_NU_GAUSSIAN == 2 && MCM_COUPLE_THRESHOLD == 2 && MCM_WHITEN_FULL == 1 &&
                   MCM_SPIKES_RANDOM == 2 && MCM_MIX_LABELLED == 1 && MCM_MEAN_LABEL == 1 &&
                   DIFF_DDPM == 2,
               "enum order of mcm.h/diffusion.h must match the schema enum strings");
_Static_assert(ACT_MATCHED_V == 6 && MODEL_SYMLINEAR == 4 && SKIP_NONE == 2 && INIT2_SMALL == 1 &&
                   LOSS_SCORE == 2 && OPT_ADAM == 2 && LR_COSINE == 2,
               "enum order of act.h/model.h/loss.h/optim.h must match the schema enum strings");
