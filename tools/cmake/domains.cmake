# Build-time generators for domains and IPC: tools/ipcgen (stubs and
# dispatch from an interface description) and tools/manifest (the checked
# static manifest of domains).  Both are Python 3.11, standard library only.

set(SHOJI_IPCGEN_DIR ${PROJECT_BINARY_DIR}/ipcgen)
file(GLOB SHOJI_IPCGEN_SOURCES ${PROJECT_SOURCE_DIR}/tools/ipcgen
     ${PROJECT_SOURCE_DIR}/tools/ipcgenlib/*.py)
file(GLOB SHOJI_MANIFEST_SOURCES ${PROJECT_SOURCE_DIR}/tools/manifest
     ${PROJECT_SOURCE_DIR}/tools/manifestlib/*.py)

# shoji_ipc_interface(NAME description.toml) generates, at build time, into
# ${PROJECT_BINARY_DIR}/ipcgen:
#   include/NAME.h          label constants
#   include/NAME_client.h   domain stubs NAME_M(slot, ...), on ipc_call_raw
#   include/NAME_core.h     core stubs NAME_core_M(ep, ...), on ipc_core_call
#   include/NAME_server.h   NAME_serve_M prototypes, NAME_dispatch
#   src/NAME_server.c       NAME_dispatch
# and defines two INTERFACE targets:
#   ipc_NAME         include directories for the headers (link it to use
#                    them; it also makes the target wait for the generator)
#   ipc_NAME_server  ipc_NAME plus NAME_server.c, compiled with the flags of
#                    the domain that links it
# A bad description fails the build with ipcgen's message.
function(shoji_ipc_interface name description)
  get_filename_component(description ${description} ABSOLUTE)
  set(dir ${SHOJI_IPCGEN_DIR})
  set(headers ${dir}/include/${name}.h ${dir}/include/${name}_client.h
      ${dir}/include/${name}_core.h ${dir}/include/${name}_server.h)
  add_custom_command(OUTPUT ${headers} ${dir}/src/${name}_server.c
    COMMAND python3 ${PROJECT_SOURCE_DIR}/tools/ipcgen --name ${name} -o ${dir} ${description}
    DEPENDS ${description} ${SHOJI_IPCGEN_SOURCES}
    COMMENT "ipcgen: interface ${name} from ${description}" VERBATIM)
  add_custom_target(ipcgen_${name} ALL DEPENDS ${headers} ${dir}/src/${name}_server.c)

  add_library(ipc_${name} INTERFACE)
  # errors.h comes from kernel/include, the rest from ipc/include.
  target_include_directories(ipc_${name} INTERFACE ${dir}/include
    ${PROJECT_SOURCE_DIR}/ipc/include ${PROJECT_SOURCE_DIR}/kernel/include)
  add_dependencies(ipc_${name} ipcgen_${name})

  add_library(ipc_${name}_server INTERFACE)
  target_sources(ipc_${name}_server INTERFACE ${dir}/src/${name}_server.c)
  target_link_libraries(ipc_${name}_server INTERFACE ipc_${name})
endfunction()

# shoji_manifest(manifest.toml) checks the static manifest at build time and
# writes ${PROJECT_BINARY_DIR}/manifest.c, the table of
# kernel/include/manifest.h (target: manifest).  The core adds that file to
# its sources and depends on the target; each domain's ELF must be linked in
# as _binary_<name>_start/_end.  A bad manifest fails the build.
function(shoji_manifest manifest)
  get_filename_component(manifest ${manifest} ABSOLUTE)
  add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/manifest.c
    COMMAND python3 ${PROJECT_SOURCE_DIR}/tools/manifest -o ${PROJECT_BINARY_DIR}/manifest.c
            ${manifest}
    DEPENDS ${manifest} ${SHOJI_MANIFEST_SOURCES}
    COMMENT "manifest: checking ${manifest}" VERBATIM)
  add_custom_target(manifest ALL DEPENDS ${PROJECT_BINARY_DIR}/manifest.c)
endfunction()
