# cmake -DIMAGE=shoji.bin -DOUT=image_digest.h -P image_digest.cmake
# Writes the SHA-256 of Shoji's image as a C header for the UEFI loader,
# which refuses any other image (Secure Boot reaches Shoji through it).
file(SHA256 ${IMAGE} digest)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1, " bytes ${digest})
file(WRITE ${OUT}.tmp "/* Generated from shoji.bin by tools/cmake/image_digest.cmake. */\n"
  "#define SHOJI_IMAGE_SHA256 { ${bytes}}\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
