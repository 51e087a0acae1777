# Installing d1drive like a system tool (`cmake --install`, `make install`) and its Debian
# package (`make deb`: CPack). The binary and its man page are installed by tools/; this
# file installs the configuration, the systemd units, logrotate, the docs, and packages.

# The daemon reads /etc/d1drive/d1drive.toml as root whatever the prefix, so /etc it is.
set(D1DRIVE_ETC_DIR /etc)

# Installs `source` as the absolute `directory`/`name` unless an edited copy is there
# already: that one is kept and the new default goes beside it as `name`.new.
function(d1drive_install_config source directory name)
  install(CODE "
    set(installed \"\$ENV{DESTDIR}${directory}/${name}\")
    set(keep FALSE)
    if(EXISTS \"\${installed}\")
      file(SHA256 \"\${installed}\" installed_hash)
      file(SHA256 \"${source}\" new_hash)
      if(NOT installed_hash STREQUAL new_hash)
        set(keep TRUE)
      endif()
    endif()
    if(keep)
      message(STATUS \"Kept the edited ${directory}/${name}; the new default is ${name}.new\")
      file(INSTALL \"${source}\" DESTINATION \"${directory}\" RENAME \"${name}.new\")
    else()
      file(INSTALL \"${source}\" DESTINATION \"${directory}\" RENAME \"${name}\")
    endif()")
endfunction()

d1drive_install_config(${PROJECT_SOURCE_DIR}/config/d1drive.toml ${D1DRIVE_ETC_DIR}/d1drive
  d1drive.toml)
d1drive_install_config(${PROJECT_SOURCE_DIR}/config/d1drive.logrotate
  ${D1DRIVE_ETC_DIR}/logrotate.d d1drive)

# The units name the installed binary, so they are filled in at install time, when the
# prefix is known (CPack installs with prefix /usr, `make install` with PREFIX).
foreach(unit d1drive.service d1drive-serve.service)
  install(CODE "
    set(D1DRIVE_BIN_DIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
    set(D1DRIVE_DOC_DIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
    string(MAKE_C_IDENTIFIER \"\${CMAKE_INSTALL_PREFIX}\" prefix_id)
    set(unit_file \"${PROJECT_BINARY_DIR}/units/\${prefix_id}/${unit}\")
    configure_file(\"${PROJECT_SOURCE_DIR}/config/${unit}.in\" \"\${unit_file}\" @ONLY)
    file(INSTALL \"\${unit_file}\" DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")")
endforeach()

install(FILES README.md docs/install.md docs/mobile-files.md docs/control-protocol.md
  config/searches.example.toml config/updatedb.conf.snippet
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The Debian package: `make deb` (cpack -G DEB in the build dir). Dependencies come from
# the shared libraries the binary links (dpkg-shlibdeps), plus fuse3 for mount.fuse3 and
# fusermount3; /etc files are conffiles; the maintainer scripts are in config/debian/.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME d1drive)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "DataONE federation as a filesystem, and files that move without getting lost")
set(CPACK_PACKAGE_DESCRIPTION "d1drive is a daemon for data-transfer nodes. It mounts the \
DataONE federation as a read-only FUSE filesystem (searches as folders, objects verified \
against their checksums) and keeps a catalogue of files that background jobs copy, move, \
remove and verify, never losing the last good copy.")
set(CPACK_PACKAGE_CONTACT "d1drive maintainers <root@localhost>"
  CACHE STRING "The Maintainer field of the Debian package")
# Installed with DESTDIR (the staging dir) and the prefix /usr: absolute destinations (/etc)
# land in the package too, and install(CODE) sees /usr, not the staging path.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "logrotate")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/config/debian/conffiles
  ${PROJECT_SOURCE_DIR}/config/debian/postinst
  ${PROJECT_SOURCE_DIR}/config/debian/prerm
  ${PROJECT_SOURCE_DIR}/config/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
