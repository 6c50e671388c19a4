# The dependency direction of docs/architecture.md, checked against the code:
# a module may include only itself, the lle:: modules its lle_module() lists and
# what those may use, and what it lists must come before it in
# exporter/CMakeLists.txt.
#
#   cmake -DROOT=<source dir> -DMODULES=<build>/modules.txt -P module_includes.cmake
#
# MODULES has one line per module, in build order: "name dep dep ...".
# Run at configure time and as the ctest `module_includes` (sources change after
# a configure). Prints every wrong include, then fails.
cmake_minimum_required(VERSION 3.25)  # policies of script mode: IN_LIST
file(STRINGS "${MODULES}" lines)
set(seen "")
set(errors "")
foreach(line IN LISTS lines)
  string(REPLACE " " ";" words "${line}")
  list(POP_FRONT words module)
  set(may_use_${module} "")
  foreach(dep IN LISTS words)
    if(NOT dep IN_LIST seen)
      string(APPEND errors "  ${module} depends on ${dep}, which is not above it\n")
    endif()
    list(APPEND may_use_${module} ${dep} ${may_use_${dep}})
  endforeach()
  list(REMOVE_DUPLICATES may_use_${module})
  file(GLOB files "${ROOT}/exporter/${module}/*")
  foreach(file IN LISTS files)
    file(STRINGS "${file}" includes REGEX "^#include \"exporter/[a-z_]+/")
    foreach(include IN LISTS includes)
      string(REGEX REPLACE "^#include \"exporter/([a-z_]+)/.*" "\\1" used "${include}")
      if(NOT used STREQUAL module AND NOT used IN_LIST may_use_${module})
        file(RELATIVE_PATH rel "${ROOT}" "${file}")
        list(JOIN may_use_${module} ", " allowed)
        string(APPEND errors "  ${rel}: ${include} (${module} may use: ${allowed})\n")
      endif()
    endforeach()
  endforeach()
  list(APPEND seen ${module})
endforeach()
if(errors)
  message(FATAL_ERROR "module dependency direction broken:\n${errors}")
endif()
