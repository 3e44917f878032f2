# Installs the build into a fresh prefix, then configures, builds and runs tests/consumer
# against it with find_package(hepcat); runs the installed command-line tool.
set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
foreach(step
    "${CMAKE_COMMAND};--install;${BUILD_DIR};--prefix;${prefix}"
    "${CMAKE_COMMAND};-S;${CONSUMER_SOURCE};-B;${WORK_DIR}/build;-DCMAKE_PREFIX_PATH=${prefix}"
    "${CMAKE_COMMAND};--build;${WORK_DIR}/build"
    "${WORK_DIR}/build/consumer"
    # The installed tool starts without LD_LIBRARY_PATH and finds its plot scripts.
    "${CMAKE_COMMAND};-E;env;--unset=LD_LIBRARY_PATH;--unset=HEPCAT_SCRIPTS_DIR;${prefix}/bin/hepcat;info"
    "${CMAKE_COMMAND};-E;env;--unset=LD_LIBRARY_PATH;${prefix}/bin/hepcat;toy;--events;3000;--out;${WORK_DIR}/toy.csv"
    "${CMAKE_COMMAND};-E;env;--unset=LD_LIBRARY_PATH;--unset=HEPCAT_SCRIPTS_DIR;${prefix}/bin/hepcat;cuts;--input;${WORK_DIR}/toy.csv;--process;process;--signals;0,1;--features;s1,s2;--epochs;3;--targets;0.5;--out;${WORK_DIR}/cuts.json;--plot;${WORK_DIR}/cuts.png")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer step failed (${rc}): ${step}")
  endif()
endforeach()
