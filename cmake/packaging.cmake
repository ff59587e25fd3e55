# The Debian packages that `make package` builds (CPack's DEB generator), and the install rules of
# what only the program's package holds. Two packages, from two install components:
#
# - signet (component `signet`): /usr/bin/signet, its man pages, the systemd units
#   signet-serve.service and signet-api.service, the default /etc/signet/signet.toml (a conffile)
#   and the maintainer scripts that create the `signet` user. What a server needs, nothing more.
# - libsignet-dev (component `dev`, the default of every other install rule): the headers, static
#   libraries and CMake package that C++ services build against (find_package(signet)). A server
#   has no use for them, and a build machine needs no daemon, so neither package drags in the
#   other; the libraries are static, so nothing at run time depends on libsignet-dev.
#
# docs/install.md is the operator's side of this.

set(SIGNET_PACKAGE_MAINTAINER "signet maintainers <signet@localhost>" CACHE STRING
  "Maintainer field of the Debian packages: 'Name <email>'")

set(signet_packaging ${PROJECT_SOURCE_DIR}/packaging)

if(SIGNET_BUILD_BINARY)
  # Man pages from the built binary's --help (scripts/man-pages.py), so that they never say
  # anything the binary does not. The set of pages follows the set of commands, hence a stamp
  # rather than a list of outputs.
  set(signet_man_dir ${PROJECT_BINARY_DIR}/man)
  # Leak checking off: a sanitizer build's binary runs here only to print its help.
  add_custom_command(OUTPUT ${signet_man_dir}/stamp
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
      /usr/bin/python3 ${PROJECT_SOURCE_DIR}/scripts/man-pages.py $<TARGET_FILE:signet>
      ${signet_man_dir}
    COMMAND ${CMAKE_COMMAND} -E touch ${signet_man_dir}/stamp
    DEPENDS signet ${PROJECT_SOURCE_DIR}/scripts/man-pages.py
    COMMENT "Writing the man pages from signet's --help"
    VERBATIM)
  add_custom_target(signet_man ALL DEPENDS ${signet_man_dir}/stamp)
  install(DIRECTORY ${signet_man_dir}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT signet
    FILES_MATCHING PATTERN "*.1.gz")
endif()

install(FILES ${signet_packaging}/debian/copyright ${PROJECT_SOURCE_DIR}/docs/install.md
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/signet COMPONENT signet)
install(FILES ${signet_packaging}/debian/copyright
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/libsignet-dev COMPONENT dev)

# The system's files have fixed paths, whatever the prefix: the units name /usr/bin/signet and
# /etc/signet/signet.toml. EXCLUDE_FROM_ALL keeps them out of a plain `cmake --install` (into
# /usr/local or a scratch prefix, as tests/install_consumer_test.sh does), which must not write
# to /etc or /lib; the package, which asks for its component by name, gets them.
install(FILES ${signet_packaging}/signet.toml DESTINATION /etc/signet COMPONENT signet
  EXCLUDE_FROM_ALL)
# /lib, not /usr/lib: where Debian 12's own packages put their units.
install(FILES ${signet_packaging}/systemd/signet-serve.service
  ${signet_packaging}/systemd/signet-api.service
  DESTINATION /lib/systemd/system COMPONENT signet EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME signet)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL signet dev)
# signet_0.1.0-1_amd64.deb: Debian's file name, with the Debian revision 1 of the upstream version.
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SIGNET_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Scripts 0755 and conffiles 0644 whatever the checkout's modes, as Debian policy wants.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Release builds carry no debug information; stripping drops the symbol table too.
set(CPACK_STRIP_FILES TRUE)

set(CPACK_DEBIAN_SIGNET_PACKAGE_NAME signet)
set(CPACK_DEBIAN_SIGNET_PACKAGE_SECTION net)
# The shared libraries' packages come from dpkg-shlibdeps (libssl3, libsqlite3-0...); libpq5 is
# loaded with dlopen at the first PostgreSQL URL (signet/store/postgres_db.cc), so shlibdeps cannot
# see it; adduser is for postinst.
set(CPACK_DEBIAN_SIGNET_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_SIGNET_PACKAGE_DEPENDS "adduser, libpq5 (>= 15)")
# A description's first line is the package's summary (CPACK_PACKAGE_DESCRIPTION_SUMMARY would be
# put before it a second time).
set(CPACK_DEBIAN_SIGNET_DESCRIPTION
  "self-hosted OAuth 2.0 authorization server
signet issues and checks OAuth 2.0 access tokens on your own machines: an
authorization server (signet serve) with the token endpoint, JWKS, discovery,
sign-in, a Management API and a console, the quickstart's messages API
(signet api), and the admin CLI.
.
This package runs both as hardened systemd services (signet-serve, enabled
and started; signet-api, installed only) as the system user signet, with
their configuration in /etc/signet/signet.toml and their state in
/var/lib/signet.")
set(CPACK_DEBIAN_SIGNET_PACKAGE_CONTROL_EXTRA
  ${signet_packaging}/debian/postinst
  ${signet_packaging}/debian/prerm
  ${signet_packaging}/debian/postrm
  ${signet_packaging}/debian/conffiles)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libsignet-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# What cmake/signetConfig.cmake.in finds (find_dependency) and the static libraries link, and
# libpq5, which the store library loads at the first PostgreSQL URL.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libssl-dev (>= 3.0), libboost1.81-dev, libboost-json1.81-dev, libspdlog-dev, libsqlite3-dev, libpq5 (>= 15)")
set(CPACK_DEBIAN_DEV_DESCRIPTION
  "signet's token validation library for C++ services (development files)
The guard, JOSE, HTTP and store libraries of signet as static libraries,
with their headers and a CMake package: find_package(signet) and link
signet::guard to check the access tokens a signet server issues.")

include(CPack)
