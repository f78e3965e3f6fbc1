/* Which domains Shoji starts, and what each is granted. */
#include "dom.h"

#define IMAGE(n) extern const uint8_t dom_image_##n[], dom_image_##n##_end[]
IMAGE(example);
IMAGE(faulty);

const struct dom_desc dom_manifest[] = {
	{ .name = "example", .image = dom_image_example, .image_end = dom_image_example_end,
	  .budget_us = 10000, .stack_size = 16384 },
	{ .name = "faulty", .image = dom_image_faulty, .image_end = dom_image_faulty_end,
	  .budget_us = 10000, .stack_size = 16384, .io_first = 0x80, .io_count = 1,
	  .slot1 = "example" },
};
const unsigned dom_manifest_count = ARRAY_SIZE(dom_manifest);
