# execd_add_module() and the module API version, for the modules of the execd
# tree (the root CMakeLists.txt includes this file) and for modules built outside
# it (installed with the package; execdConfig.cmake includes it):
#
#   find_package(execd REQUIRED)
#   execd_add_module(mylang src/MyLangModule.cpp src/MyLangExecutor.cpp)   # -> libexecd_mylang.so

include_guard(GLOBAL)

set(EXECD_MODULE_API_VERSION 3)
	# Bumped whenever Module, ModuleContext, Executor or EventSink change in a way
	# that breaks modules built against an older core. The tree writes it into
	# execd/ModuleApiVersion.h (execd::MODULE_API_VERSION); execd refuses a module
	# built for another version.

function(execd_add_module name)
	# A module is a MODULE library, libexecd_<name>.so, linked to the core. Its
	# sources except the manifest (the one with POCO_BEGIN_MANIFEST) are built
	# into an OBJECT library, execd_<name>_objects, with the module's src dir as
	# PUBLIC include dir, so that tests can link them without the manifest.
	set(manifest)
	set(objects)
	foreach(source ${ARGN})
		get_filename_component(path ${source} ABSOLUTE)
		file(STRINGS ${path} declares REGEX "POCO_BEGIN_MANIFEST")
		if(declares)
			list(APPEND manifest ${source})
		else()
			list(APPEND objects ${source})
		endif()
	endforeach()
	list(LENGTH manifest manifests)
	if(NOT manifests EQUAL 1)
		message(FATAL_ERROR "execd_add_module(${name}): ${manifests} sources hold POCO_BEGIN_MANIFEST, not one: ${manifest}")
	endif()
	if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/src)
		set(includes ${CMAKE_CURRENT_SOURCE_DIR}/src)
	else()
		set(includes ${CMAKE_CURRENT_SOURCE_DIR})
	endif()

	add_library(execd_${name} MODULE ${manifest})
	set_target_properties(execd_${name} PROPERTIES
		PREFIX "lib"
		CXX_STANDARD 17
		CXX_STANDARD_REQUIRED ON)
	target_include_directories(execd_${name} PRIVATE ${includes})
	target_link_libraries(execd_${name} PRIVATE execd::core)
	if(objects)
		add_library(execd_${name}_objects OBJECT ${objects})
		set_target_properties(execd_${name}_objects PROPERTIES
			POSITION_INDEPENDENT_CODE ON
			CXX_STANDARD 17
			CXX_STANDARD_REQUIRED ON)
		target_include_directories(execd_${name}_objects PUBLIC ${includes})
		target_link_libraries(execd_${name}_objects PUBLIC execd::core)
		target_link_libraries(execd_${name} PRIVATE execd_${name}_objects)
	endif()

	if(TARGET execd_core)
		# In the execd tree: next to the daemon, in lib/execd, and installed with it.
		set_target_properties(execd_${name} PROPERTIES
			LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/${EXECD_MODULE_SUBDIR}
			BUILD_RPATH "$ORIGIN/.."
			INSTALL_RPATH "$ORIGIN/..")
		install(TARGETS execd_${name} LIBRARY DESTINATION ${EXECD_MODULE_SUBDIR})
	endif()
endfunction()
